-- The login acts as the pipeline role from the start of every session, so a replacement user
-- (credentials rotated) carries on with exactly the role's privileges.
GRANT {role} TO {login};
ALTER ROLE {login} SET role = {role}
