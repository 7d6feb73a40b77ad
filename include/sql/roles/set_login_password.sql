-- The login's password, from the setup's environment (never from this repository).
ALTER ROLE {login} PASSWORD {password}
