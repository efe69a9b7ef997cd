package io.portico.store;

import java.util.List;
import java.util.Optional;

/**
 * Durable storage of admin users and their personal API tokens. Every change is recorded in the audit log in the
 * same transaction, under kind {@code users} or {@code tokens}. Every method blocks: call it from a worker thread.
 */
public interface AccountStore {

    /** Returns every user, sorted by name. */
    List<AdminUser> users();

    Optional<AdminUser> user(String name);

    /**
     * Creates a user.
     *
     * @throws ConflictException when a user of that name exists
     */
    void createUser(AdminUser user, AuditContext audit);

    /**
     * Replaces the stored user of the same name.
     *
     * @throws NotFoundException when there is no such user
     */
    void updateUser(AdminUser user, AuditContext audit);

    /**
     * Deletes a user and its tokens.
     *
     * @throws NotFoundException when there is no such user
     */
    void deleteUser(String name, AuditContext audit);

    /** Returns the tokens of {@code user}, sorted by creation time. */
    List<AdminApiToken> tokens(String user);

    /** Returns the token with {@code id}, or empty when there is none. */
    Optional<AdminApiToken> token(String id);

    /**
     * Stores a new token.
     *
     * @throws NotFoundException when its user does not exist
     */
    void createToken(AdminApiToken token, AuditContext audit);

    /**
     * Deletes the token {@code id} of {@code user}.
     *
     * @throws NotFoundException when that user has no such token
     */
    void deleteToken(String user, String id, AuditContext audit);
}
