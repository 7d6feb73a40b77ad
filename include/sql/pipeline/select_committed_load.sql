-- X4, X7: what a run's committed loads did, as its own transactions wrote it (load_log), and what
-- the run has in the SIS as its lineage says: the truth about a run whose process ended after its
-- commit, before anything else could record it. No row when no load of the run ever committed.
SELECT
    count(*) AS loads,
    max(g.loaded_at) AS loaded_at,
    (array_agg(g.counts ORDER BY g.loaded_at DESC))[1] AS last_counts,
    (
        SELECT count(*) FROM {schema}.lineage AS l
        WHERE l.dag_id = %(dag_id)s AND l.run_id = %(run_id)s AND l.table_name = 'attendance'
          AND l.rolled_back_at IS NULL
    ) AS inserted_attendance,
    (
        SELECT count(*) FROM {schema}.lineage AS l
        WHERE l.dag_id = %(dag_id)s AND l.run_id = %(run_id)s AND l.table_name = 'attendance_time'
          AND l.rolled_back_at IS NULL
    ) AS inserted_attendance_time
FROM {schema}.load_log AS g
WHERE g.dag_id = %(dag_id)s AND g.run_id = %(run_id)s
HAVING count(*) > 0
