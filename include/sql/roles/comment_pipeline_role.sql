COMMENT ON ROLE {role} IS
    'attendance-bridge pipeline: reads the SIS, inserts attendance, appends lineage; no UPDATE or DELETE on any SIS table (the rollback goes through roll_back_run_rows).'
