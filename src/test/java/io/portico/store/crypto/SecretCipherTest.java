package io.portico.store.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portico.testing.TestKeys;
import java.util.List;
import org.junit.jupiter.api.Test;

class SecretCipherTest {

    private static final MasterKey KEY = MasterKey.decode(TestKeys.MASTER_KEY, "key");
    private static final MasterKey OTHER = MasterKey.decode(TestKeys.OTHER_KEY, "other");

    @Test
    void roundTripWithContext() {
        SecretCipher cipher = new SecretCipher(Keyring.of(KEY));

        String sealed = cipher.encrypt("\"sk-secret\"", "providers/openai");

        assertThat(sealed).startsWith("enc:v1:" + KEY.id() + ":").doesNotContain("sk-secret");
        assertThat(cipher.decrypt(sealed, "providers/openai")).isEqualTo("\"sk-secret\"");
    }

    @Test
    void otherContextFailsToAuthenticate() {
        SecretCipher cipher = new SecretCipher(Keyring.of(KEY));
        String sealed = cipher.encrypt("secret", "providers/a");

        assertThatThrownBy(() -> cipher.decrypt(sealed, "providers/b"))
                .isInstanceOf(SecretDecryptionException.class)
                .hasMessageContaining("does not authenticate");
    }

    @Test
    void changedValueFailsToAuthenticate() {
        SecretCipher cipher = new SecretCipher(Keyring.of(KEY));
        String sealed = cipher.encrypt("secret", "c");
        // A character in the middle of the data carries six bits of the ciphertext or tag; the last may not.
        int middle = sealed.length() - 8;
        String changed = sealed.substring(0, middle) + (sealed.charAt(middle) == 'A' ? 'B' : 'A')
                + sealed.substring(middle + 1);

        assertThatThrownBy(() -> cipher.decrypt(changed, "c")).isInstanceOf(SecretDecryptionException.class);
    }

    @Test
    void unknownKeyIsNamed() {
        String sealed = new SecretCipher(Keyring.of(OTHER)).encrypt("secret", "c");

        assertThatThrownBy(() -> new SecretCipher(Keyring.of(KEY)).decrypt(sealed, "c"))
                .isInstanceOf(SecretDecryptionException.class)
                .hasMessageContaining("master key " + OTHER.id())
                .extracting(e -> ((SecretDecryptionException) e).keyId()).isEqualTo(OTHER.id());
    }

    @Test
    void decryptOnlyKeyDecryptsButNeverEncrypts() {
        String old = new SecretCipher(Keyring.of(OTHER)).encrypt("secret", "c");
        SecretCipher rotated = new SecretCipher(new Keyring(KEY, List.of(OTHER)));

        assertThat(rotated.decrypt(old, "c")).isEqualTo("secret");
        assertThat(SecretCipher.keyIdOf(rotated.encrypt("secret", "c"))).contains(KEY.id());
    }

    @Test
    void malformedValuesAreRejected() {
        SecretCipher cipher = new SecretCipher(Keyring.of(KEY));

        assertThatThrownBy(() -> cipher.decrypt("plain text", "c")).isInstanceOf(SecretDecryptionException.class);
        assertThatThrownBy(() -> cipher.decrypt("enc:v1:" + KEY.id() + ":AAAA", "c"))
                .hasMessageContaining("too short");
        assertThatThrownBy(() -> cipher.decrypt("enc:v1:" + KEY.id() + ":***", "c"))
                .hasMessageContaining("base64url");
    }
}
