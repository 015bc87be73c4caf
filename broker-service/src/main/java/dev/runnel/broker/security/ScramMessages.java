package dev.runnel.broker.security;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The SCRAM messages a server reads and writes (RFC 5802 section 7), parsed strictly:
 *
 * <pre>
 * client-first   gs2-header client-first-bare       gs2-header = ("n" | "y") "," ["a=" saslname] ","
 *                client-first-bare = "n=" saslname ",r=" c-nonce ["," ext]*
 * server-first   "r=" c-nonce s-nonce ",s=" base64(salt) ",i=" iterations
 * client-final   "c=" base64(gs2-header) ",r=" nonce ["," ext]* ",p=" base64(proof)
 * server-final   "v=" base64(ServerSignature)
 * </pre>
 *
 * A saslname writes {@code ,} as {@code =2C} and {@code =} as {@code =3D}; a nonce is printable
 * ASCII without {@code ,}; an extension is {@code letters=value}. Channel binding ({@code p=}) and
 * the mandatory-extension attribute {@code m=} are refused, as the RFC requires of a server that
 * supports neither. The auth message is built from the bytes the client sent, not from a
 * re-rendering of them. A parse failure's message describes the problem, never the message's
 * content (a client-final carries a proof). Stateless.
 */
final class ScramMessages {

    private ScramMessages() {
    }

    /** A message that is not SCRAM. */
    static final class MalformedException extends Exception {
        MalformedException(String message) {
            super(message);
        }
    }

    /**
     * @param gs2Header  the header as sent, {@code n,,} in the common case
     * @param authzid    the authorization id asked for, {@code ""} if none
     * @param username   the user, unescaped
     * @param nonce      the client's nonce
     * @param extensions the extensions, in order
     * @param bare       client-first-message-bare as sent
     */
    record ClientFirst(String gs2Header, String authzid, String username, String nonce, Map<String, String> extensions,
            String bare) {
    }

    /**
     * @param channelBinding the bytes of {@code c=}
     * @param nonce          the nonce
     * @param proof          the client's proof
     * @param withoutProof   client-final-message-without-proof as sent
     */
    record ClientFinal(byte[] channelBinding, String nonce, byte[] proof, String withoutProof) {
    }

    static ClientFirst parseClientFirst(byte[] message) throws MalformedException {
        String text = utf8(message);
        if (text.startsWith("p=")) {
            throw new MalformedException("channel binding is not supported");
        }
        if (!text.startsWith("n,") && !text.startsWith("y,")) {
            throw new MalformedException("client-first does not start with a gs2 header");
        }
        int headerEnd = text.indexOf(',', 2);
        if (headerEnd < 0) {
            throw new MalformedException("client-first has no complete gs2 header");
        }
        String authzidPart = text.substring(2, headerEnd);
        String authzid = "";
        if (!authzidPart.isEmpty()) {
            if (!authzidPart.startsWith("a=")) {
                throw new MalformedException("the gs2 header's authorization id is not a=saslname");
            }
            authzid = username(authzidPart.substring(2));
        }
        String bare = text.substring(headerEnd + 1);
        String[] attributes = bare.split(",", -1);
        if (attributes[0].startsWith("m=")) {
            throw new MalformedException("mandatory extensions are not supported");
        }
        if (attributes.length < 2 || !attributes[0].startsWith("n=") || !attributes[1].startsWith("r=")) {
            throw new MalformedException("client-first-bare is not n=saslname,r=nonce");
        }
        String username = username(attributes[0].substring(2));
        String nonce = nonce(attributes[1].substring(2));
        Map<String, String> extensions = extensions(attributes, 2, attributes.length);
        return new ClientFirst(text.substring(0, headerEnd + 1), authzid, username, nonce, extensions, bare);
    }

    static ClientFinal parseClientFinal(byte[] message) throws MalformedException {
        String text = utf8(message);
        int proofStart = text.lastIndexOf(",p=");
        if (proofStart < 0) {
            throw new MalformedException("client-final has no proof");
        }
        String withoutProof = text.substring(0, proofStart);
        byte[] proof = base64(text.substring(proofStart + 3), "proof");
        String[] attributes = withoutProof.split(",", -1);
        if (attributes.length < 2 || !attributes[0].startsWith("c=") || !attributes[1].startsWith("r=")) {
            throw new MalformedException("client-final is not c=binding,r=nonce,...,p=proof");
        }
        byte[] channelBinding = base64(attributes[0].substring(2), "channel binding");
        String nonce = nonce(attributes[1].substring(2));
        extensions(attributes, 2, attributes.length);
        return new ClientFinal(channelBinding, nonce, proof, withoutProof);
    }

    static String serverFirst(String nonce, byte[] salt, int iterations) {
        return "r=" + nonce + ",s=" + Base64.getEncoder().encodeToString(salt) + ",i=" + iterations;
    }

    static String serverFinal(byte[] serverSignature) {
        return "v=" + Base64.getEncoder().encodeToString(serverSignature);
    }

    /** AuthMessage := client-first-message-bare + "," + server-first-message + "," + client-final-message-without-proof. */
    static byte[] authMessage(ClientFirst first, String serverFirst, ClientFinal last) {
        return (first.bare() + "," + serverFirst + "," + last.withoutProof()).getBytes(StandardCharsets.UTF_8);
    }

    /** {@code username} as a saslname: {@code =} becomes {@code =3D}, {@code ,} becomes {@code =2C}. */
    static String saslName(String username) {
        return username.replace("=", "=3D").replace(",", "=2C");
    }

    /** The user a saslname names. */
    static String username(String saslName) throws MalformedException {
        if (saslName.isEmpty()) {
            throw new MalformedException("empty saslname");
        }
        StringBuilder out = new StringBuilder(saslName.length());
        for (int i = 0; i < saslName.length(); i++) {
            char c = saslName.charAt(i);
            if (c == '\0') {
                throw new MalformedException("saslname with a NUL");
            }
            if (c != '=') {
                out.append(c);
            } else if (saslName.startsWith("2C", i + 1)) {
                out.append(',');
                i += 2;
            } else if (saslName.startsWith("3D", i + 1)) {
                out.append('=');
                i += 2;
            } else {
                throw new MalformedException("saslname with an '=' that is neither =2C nor =3D");
            }
        }
        return out.toString();
    }

    private static String nonce(String nonce) throws MalformedException {
        if (nonce.isEmpty()) {
            throw new MalformedException("empty nonce");
        }
        for (int i = 0; i < nonce.length(); i++) {
            char c = nonce.charAt(i);
            if (c < 0x21 || c > 0x7e) { // ',' cannot occur: the message was split on it
                throw new MalformedException("nonce with a character that is not printable ASCII");
            }
        }
        return nonce;
    }

    private static Map<String, String> extensions(String[] attributes, int from, int to) throws MalformedException {
        Map<String, String> extensions = new LinkedHashMap<>();
        for (int i = from; i < to; i++) {
            String attribute = attributes[i];
            int equals = attribute.indexOf('=');
            if (equals < 1 || equals == attribute.length() - 1
                    || !attribute.substring(0, equals).chars().allMatch(c -> (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
                throw new MalformedException("an extension is not name=value");
            }
            extensions.put(attribute.substring(0, equals), attribute.substring(equals + 1));
        }
        return extensions;
    }

    private static byte[] base64(String text, String what) throws MalformedException {
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new MalformedException("the " + what + " is not base64");
        }
    }

    private static String utf8(byte[] message) throws MalformedException {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(message))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new MalformedException("not UTF-8");
        }
    }
}
