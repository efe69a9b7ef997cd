package io.portico.testing;

import io.portico.store.AccountStore;
import io.portico.store.AdminApiToken;
import io.portico.store.AdminUser;
import io.portico.store.AuditContext;
import io.portico.store.ConflictException;
import io.portico.store.NotFoundException;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** An {@link AccountStore} in memory, without an audit log, for admin tests that use no database. */
public final class InMemoryAccountStore implements AccountStore {

    private final Map<String, AdminUser> users = new TreeMap<>();
    private final Map<String, AdminApiToken> tokens = new TreeMap<>();

    @Override
    public synchronized List<AdminUser> users() {
        return List.copyOf(users.values());
    }

    @Override
    public synchronized Optional<AdminUser> user(String name) {
        return Optional.ofNullable(users.get(name));
    }

    @Override
    public synchronized void createUser(AdminUser user, AuditContext audit) {
        if (users.putIfAbsent(user.name(), user) != null) {
            throw new ConflictException("admin user " + user.name() + " already exists", false);
        }
    }

    @Override
    public synchronized void updateUser(AdminUser user, AuditContext audit) {
        if (users.replace(user.name(), user) == null) {
            throw new NotFoundException("users", user.name());
        }
    }

    @Override
    public synchronized void deleteUser(String name, AuditContext audit) {
        if (users.remove(name) == null) {
            throw new NotFoundException("users", name);
        }
        tokens.values().removeIf(token -> token.user().equals(name));
    }

    @Override
    public synchronized List<AdminApiToken> tokens(String user) {
        return tokens.values().stream().filter(token -> token.user().equals(user))
                .sorted(Comparator.comparing(AdminApiToken::createdAt)).toList();
    }

    @Override
    public synchronized Optional<AdminApiToken> token(String id) {
        return Optional.ofNullable(tokens.get(id));
    }

    @Override
    public synchronized void createToken(AdminApiToken token, AuditContext audit) {
        if (!users.containsKey(token.user())) {
            throw new NotFoundException("users", token.user());
        }
        tokens.put(token.id(), token);
    }

    @Override
    public synchronized void deleteToken(String user, String id, AuditContext audit) {
        AdminApiToken token = tokens.get(id);
        if (token == null || !token.user().equals(user)) {
            throw new NotFoundException("tokens", id);
        }
        tokens.remove(id);
    }
}
