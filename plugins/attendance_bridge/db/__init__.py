"""Everything that sends SQL to the SIS database: connection, locks, extract, look-ups, backup,
load (and the statistics it refreshes), rollback, run log and migrations. The statements themselves
are files in ``include/sql``."""
