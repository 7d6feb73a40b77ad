-- The report files of a school's latest runs of a DAG, newest first.
SELECT report_path
FROM {schema}.run_log
WHERE dag_id = %(dag_id)s
  AND school_number = %(school_number)s
  AND report_path IS NOT NULL
ORDER BY started_at DESC
LIMIT %(count)s
