package io.portico.testing;

import io.portico.store.crypto.Keyring;
import io.portico.store.crypto.MasterKey;
import io.portico.store.crypto.MasterKeys;

/** Fixed master keys for tests, so that stores opened by several test nodes can read each other's secrets. */
public final class TestKeys {

    /** Base64 of 32 bytes, as {@link MasterKeys#ENV_VAR} takes it. */
    public static final String MASTER_KEY = "dGVzdC1tYXN0ZXIta2V5LTAxMjM0NTY3ODlhYmNkZWY=";
    /** Another key, for tests of rotation and of a wrong key. */
    public static final String OTHER_KEY = "b3RoZXItbWFzdGVyLWtleS0wMTIzNDU2Nzg5YWJjZGU=";

    /** A keyring with {@link #MASTER_KEY} alone. */
    public static final Keyring KEYRING = Keyring.of(MasterKey.decode(MASTER_KEY, "MASTER_KEY"));

    private TestKeys() {
    }
}
