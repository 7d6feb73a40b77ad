-- The administrator running the setup applies the migrations as the owner role (SET ROLE), so the
-- objects they create belong to it; a superuser needs no membership.
GRANT {owner} TO CURRENT_USER
