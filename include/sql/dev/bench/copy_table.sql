-- A benchmark case's own copy of one SIS table: every row of the template, ids included.
INSERT INTO {target}.{table_name} SELECT * FROM {source}.{table_name}
