-- Whether attendance_bridge_finish_run closed this run after it last started: its verdict stands,
-- and a load of the run that comes after it (a process that was not dead after all) must not land.
SELECT f.run_id AS finish_run_id, f.finished_at, r.status, r.message
FROM {pipeline_schema}.run_log AS r
JOIN {pipeline_schema}.run_log AS f
  ON f.dag_id = %(finish_dag_id)s
 AND f.parameters ->> 'run_id' = r.run_id
 AND f.status = 'succeeded'
 AND (f.counts ->> 'runs_finished')::int = 1
 AND f.started_at > r.started_at
WHERE r.dag_id = %(dag_id)s AND r.run_id = %(run_id)s
ORDER BY f.finished_at DESC
LIMIT 1
