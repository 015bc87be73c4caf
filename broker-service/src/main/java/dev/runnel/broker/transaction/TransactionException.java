package dev.runnel.broker.transaction;

import org.apache.kafka.common.protocol.Errors;

/** A request refused by a transaction's rules, with the error to answer it with. */
final class TransactionException extends RuntimeException {

    private final transient Errors error;

    TransactionException(Errors error, String message) {
        super(message);
        this.error = error;
    }

    Errors error() {
        return error;
    }
}
