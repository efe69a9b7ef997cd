-- Admin users of the admin API. role is platform-admin, team-admin, developer or viewer; team names a resource
-- of kind teams, or is null for users of no team. password_hash is an Argon2id hash in the PHC string format, or
-- null for a user who signs in with personal tokens only.
CREATE TABLE admin_users (
    name VARCHAR(128) NOT NULL,
    role VARCHAR(32) NOT NULL,
    team VARCHAR(128),
    password_hash VARCHAR(256),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT admin_users_pk PRIMARY KEY (name)
);

-- Personal API tokens of admin users. token_hash is the SHA-256 of the whole token in hex; the token itself is
-- shown once when it is created and never stored. A token is deleted with its user.
CREATE TABLE admin_tokens (
    id VARCHAR(32) NOT NULL,
    user_name VARCHAR(128) NOT NULL,
    token_hash VARCHAR(64) NOT NULL,
    description VARCHAR(256),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    CONSTRAINT admin_tokens_pk PRIMARY KEY (id),
    CONSTRAINT admin_tokens_user_fk FOREIGN KEY (user_name) REFERENCES admin_users (name) ON DELETE CASCADE
);

CREATE INDEX admin_tokens_user ON admin_tokens (user_name);
