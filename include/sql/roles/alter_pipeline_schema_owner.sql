-- A schema an earlier version of the setup gave to the pipeline role goes to the owner role.
ALTER SCHEMA {pipeline_schema} OWNER TO {owner}
