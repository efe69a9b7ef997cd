-- The id of the master key that encrypts the secret fields in resources.spec, in its only row (id = 1). A node
-- whose keys do not include this id refuses to start, so a node with the wrong key fails before it writes
-- anything. The key itself is never stored.
CREATE TABLE master_key (
    id INTEGER NOT NULL,
    key_id VARCHAR(32) NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT master_key_pk PRIMARY KEY (id),
    CONSTRAINT master_key_single_row CHECK (id = 1)
);
