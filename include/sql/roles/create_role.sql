-- A role nobody logs in as: the pipeline's privileges, or the owner of its schema.
CREATE ROLE {role} NOLOGIN
