package dev.runnel.broker.group;

/** A protocol a member offers (for consumers, an assignor such as "range"), with its metadata. */
public record MemberProtocol(String name, byte[] metadata) {
}
