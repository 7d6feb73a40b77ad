-- The school's own student numbers of the students in the report's detail tables, for the report page.
-- The pipeline's role may read only these two columns of students (column privilege, docs/safety.md).
SELECT id, student_number
FROM {schema}.students
WHERE id = ANY(%(student_ids)s)
