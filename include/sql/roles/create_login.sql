-- The user the pipeline logs in as; its password is set apart, never written in this repository.
CREATE ROLE {login} LOGIN
