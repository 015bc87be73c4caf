package dev.runnel.client.listener;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * On a {@link LogListener} method's parameter: the last value of a record header, as a
 * {@code byte[]} or a UTF-8 {@code String}; null when the record has no such header.
 */
@Target(ElementType.PARAMETER)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface LogHeader {

    /** The header's name. */
    String value();
}
