-- The backup of attendance has the SIS table's columns (unknown ones too), without its defaults.
CREATE TABLE {scratch}.attendance (LIKE {schema}.attendance)
