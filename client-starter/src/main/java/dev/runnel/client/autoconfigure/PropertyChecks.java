package dev.runnel.client.autoconfigure;

import java.time.Duration;

/** The checks that several property groups share, with messages that name the property. */
final class PropertyChecks {

    private PropertyChecks() {
    }

    /** {@code value}, if it is a positive duration Kafka can take in milliseconds (an int). */
    static Duration positive(String name, Duration value) {
        if (value == null || value.isZero() || value.isNegative() || value.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("runnel.client." + name + " must be between 1 and " + Integer.MAX_VALUE
                    + " ms, not " + value);
        }
        return value;
    }
}
