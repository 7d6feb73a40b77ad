-- P1: the school exists (schoolid columns hold school_number, never schools.id).
SELECT id, name
FROM {schema}.schools
WHERE school_number = %(school_number)s
