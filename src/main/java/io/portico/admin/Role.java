package io.portico.admin;

import java.util.Arrays;
import java.util.Optional;

/** The role of an admin user, which decides what the user may read and change. */
public enum Role {

    /** Reads and changes everything, including teams and admin users of any team. */
    PLATFORM_ADMIN("platform-admin"),
    /** Reads and changes the resources and the members of one team. */
    TEAM_ADMIN("team-admin"),
    /** Reads the resources of one team and changes its consumers, credentials and subscriptions. */
    DEVELOPER("developer"),
    /** Reads the resources of one team, or of every team when the user belongs to none, and changes nothing. */
    VIEWER("viewer");

    private final String label;

    Role(String label) {
        this.label = label;
    }

    /** The name used in the admin API and in the store, such as {@code platform-admin}. */
    public String label() {
        return label;
    }

    /** Returns the role named {@code label}, or empty when there is none. */
    public static Optional<Role> of(String label) {
        return Arrays.stream(values()).filter(role -> role.label.equals(label)).findFirst();
    }

    /** Returns every label, for messages that list the valid roles. */
    public static String labels() {
        return String.join(", ", Arrays.stream(values()).map(Role::label).toList());
    }

    @Override
    public String toString() {
        return label;
    }
}
