-- The school's attendance codes of the year with their descriptions, for the report page.
SELECT id, att_code, description
FROM {schema}.attendance_code
WHERE schoolid = %(school_number)s
  AND yearid = %(yearid)s
ORDER BY id
