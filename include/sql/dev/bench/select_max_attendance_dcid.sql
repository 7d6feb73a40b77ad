-- The largest attendance dcid of a copy: rows after it are the ones a run inserted.
SELECT coalesce(max(dcid), 0) FROM {schema}.attendance
