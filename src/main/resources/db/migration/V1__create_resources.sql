-- Portable SQL: the same file migrates PostgreSQL and the embedded H2 database.

-- The global configuration version, in its only row (id = 1). Every commit increments it first, and the row
-- lock that this takes serialises concurrent writers.
CREATE TABLE store_version (
    id INTEGER NOT NULL,
    version BIGINT NOT NULL,
    CONSTRAINT store_version_pk PRIMARY KEY (id),
    CONSTRAINT store_version_single_row CHECK (id = 1)
);

INSERT INTO store_version (id, version) VALUES (1, 0);

-- One row per configuration object. spec is the JSON text of the specification. revision is the version of
-- the commit that last wrote the row, and updated_at is that commit's time in UTC.
CREATE TABLE resources (
    kind VARCHAR(64) NOT NULL,
    name VARCHAR(128) NOT NULL,
    spec VARCHAR(1000000) NOT NULL,
    revision BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT resources_pk PRIMARY KEY (kind, name)
);
