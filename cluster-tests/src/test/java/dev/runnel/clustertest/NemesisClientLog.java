package dev.runnel.clustertest;

import java.nio.file.Path;

import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;

/**
 * Sends the nemesis's Kafka clients' warnings (and the idempotent producers' sequence and epoch
 * changes) to a file of their own next to the nodes' logs, instead of the test output, which they
 * would flood while brokers come and go. {@link #close()} puts the logger back as it was.
 */
final class NemesisClientLog implements AutoCloseable {

    private static final String KAFKA = "org.apache.kafka";
    private static final String SEQUENCES = "org.apache.kafka.clients.producer.internals.TransactionManager";

    private final FileAppender<ILoggingEvent> appender = new FileAppender<>();
    private final Level kafkaLevel;
    private final Level sequencesLevel;
    private final boolean kafkaAdditive;

    NemesisClientLog(Path file) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%d{HH:mm:ss.SSS} [%thread] %-5level %logger{40} - %msg%n");
        encoder.start();
        appender.setContext(context);
        appender.setName("nemesis-clients");
        appender.setFile(file.toString());
        appender.setEncoder(encoder);
        appender.start();
        Logger kafka = context.getLogger(KAFKA);
        Logger sequences = context.getLogger(SEQUENCES);
        kafkaLevel = kafka.getLevel();
        sequencesLevel = sequences.getLevel();
        kafkaAdditive = kafka.isAdditive();
        kafka.addAppender(appender);
        kafka.setAdditive(false);
        kafka.setLevel(Level.WARN);
        sequences.setLevel(Level.INFO);
    }

    @Override
    public void close() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger kafka = context.getLogger(KAFKA);
        kafka.detachAppender(appender);
        kafka.setAdditive(kafkaAdditive);
        kafka.setLevel(kafkaLevel);
        context.getLogger(SEQUENCES).setLevel(sequencesLevel);
        appender.stop();
    }
}
