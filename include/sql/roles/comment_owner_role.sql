COMMENT ON ROLE {owner} IS
    'attendance-bridge: owns the pipeline schema (run log, lineage, backups) and its functions; deletes SIS attendance only through roll_back_run_rows. Nobody logs in as it.'
