ALTER TABLE {object} OWNER TO {owner}
