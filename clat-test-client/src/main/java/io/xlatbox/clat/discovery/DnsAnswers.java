package io.xlatbox.clat.discovery;

import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Record;

/** Whether a DNS response belongs to a query (RFC 5452 §3: ID and question; and that it is a response at all). */
public final class DnsAnswers {
    private DnsAnswers() {
    }

    /** Null when {@code response} answers {@code query}; else why not. */
    public static String mismatch(Message query, Message response) {
        if (!response.getHeader().getFlag(Flags.QR)) {
            return "QR bit not set (not a response)";
        }
        if (response.getHeader().getOpcode() != Opcode.QUERY) {
            return "opcode " + Opcode.string(response.getHeader().getOpcode());
        }
        if (response.getHeader().getID() != query.getHeader().getID()) {
            return "ID " + response.getHeader().getID() + " instead of " + query.getHeader().getID();
        }
        Record q = query.getQuestion();
        Record r = response.getQuestion();
        if (r == null) {
            return "no question section";
        }
        if (!r.getName().equals(q.getName()) || r.getType() != q.getType() || r.getDClass() != q.getDClass()) {
            return "question " + r.getName() + " " + org.xbill.DNS.Type.string(r.getType()) + " instead of "
                    + q.getName() + " " + org.xbill.DNS.Type.string(q.getType());
        }
        return null;
    }
}
