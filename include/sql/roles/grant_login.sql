-- The login acts as the pipeline role from the start of every session, so what it creates (the
-- snapshot tables) belongs to the role and a replacement user (credentials rotated) can carry on.
GRANT {role} TO {login};
ALTER ROLE {login} SET role = {role}
