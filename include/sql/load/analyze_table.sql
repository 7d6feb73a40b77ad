-- Fresh statistics for a table a load just filled, before the next statement is planned on it.
ANALYZE {schema}.{table}
