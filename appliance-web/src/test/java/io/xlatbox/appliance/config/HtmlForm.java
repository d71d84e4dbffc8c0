package io.xlatbox.appliance.config;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.web.util.HtmlUtils;

/**
 * What a browser would submit from a page's form, read from the rendered HTML: text and hidden inputs, checked
 * checkboxes, textareas and the selected option of each select (buttons are left out; add the one clicked).
 * Good enough for the pages' own, regular markup; it proves that the forms round-trip without JavaScript.
 */
public final class HtmlForm {
    private static final Pattern TAG = Pattern.compile(
            "<input\\b[^>]*>|<textarea\\b[^>]*>(.*?)</textarea>|<select\\b[^>]*>(.*?)</select>", Pattern.DOTALL);
    private static final Pattern OPTION = Pattern.compile("<option\\b[^>]*>", Pattern.DOTALL);

    private HtmlForm() {
    }

    /** The fields of the form with this id. */
    public static MultiValueMap<String, String> fields(String html, String formId) {
        int start = html.indexOf("id=\"" + formId + "\"");
        if (start < 0) {
            throw new AssertionError("no form " + formId);
        }
        int end = html.indexOf("</form>", start);
        String form = html.substring(start, end);
        MultiValueMap<String, String> out = new LinkedMultiValueMap<>();
        Matcher m = TAG.matcher(form);
        while (m.find()) {
            String tag = m.group();
            String name = attr(tag, "name");
            if (name == null || name.equals("_csrf")) { // the tests sign their posts with csrf()
                continue;
            }
            if (tag.startsWith("<input")) {
                String type = attr(tag, "type");
                if ("checkbox".equals(type) || "radio".equals(type)) {
                    if (tag.matches("(?s).*\\schecked(=\"checked\")?[\\s>/].*")) {
                        out.add(name, value(attr(tag, "value"), "on"));
                    }
                } else if (!"submit".equals(type) && !"file".equals(type)) {
                    out.add(name, value(attr(tag, "value"), ""));
                }
            } else if (tag.startsWith("<textarea")) {
                String text = HtmlUtils.htmlUnescape(m.group(1));
                out.add(name, text.startsWith("\n") ? text.substring(1) : text);
            } else {
                String selected = null;
                String first = null;
                Matcher o = OPTION.matcher(m.group(2));
                while (o.find()) {
                    String v = value(attr(o.group(), "value"), "");
                    first = first == null ? v : first;
                    if (o.group().matches("(?s).*\\sselected(=\"selected\")?[\\s>/].*")) {
                        selected = v;
                    }
                }
                out.add(name, selected != null ? selected : first == null ? "" : first);
            }
        }
        return out;
    }

    private static String value(String v, String dflt) {
        return v == null ? dflt : HtmlUtils.htmlUnescape(v);
    }

    static String attr(String tag, String name) {
        Matcher m = Pattern.compile("\\s" + name + "=\"([^\"]*)\"").matcher(tag);
        return m.find() ? m.group(1) : null;
    }

    /** All values of attribute {@code attr} of elements matching the id prefix, for checks. */
    public static List<String> ids(String html, String prefix) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("\\sid=\"(" + Pattern.quote(prefix) + "[^\"]*)\"").matcher(html);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }
}
