-- The school's attendance codes of the year with their presence status (P6).
SELECT id, att_code, presence_status_cd
FROM {schema}.attendance_code
WHERE schoolid = %(school_number)s
  AND yearid = %(yearid)s
ORDER BY id
