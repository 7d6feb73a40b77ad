ALTER FUNCTION {object} OWNER TO {owner}
