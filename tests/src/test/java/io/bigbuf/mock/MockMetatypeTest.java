package io.bigbuf.mock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.InputStream;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.TreeMap;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The hand-written Metatype XML and the {@link MockConfiguration} property type describe the same
 * settings with the same defaults; a console must never show a default the component does not use.
 */
class MockMetatypeTest {

    @Test
    void metatypeDefaultsMatchTheComponentPropertyType() throws Exception {
        Map<String, String> metatype = new TreeMap<>();
        try (InputStream xml = MockAllocator.class.getResourceAsStream("/OSGI-INF/metatype/io.bigbuf.mock.xml")) {
            assertNotNull(xml, "metatype XML is packaged in the mock bundle");
            NodeList ads = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml).getElementsByTagName("AD");
            for (int i = 0; i < ads.getLength(); i++) {
                Element ad = (Element) ads.item(i);
                metatype.put(ad.getAttribute("id"), ad.getAttribute("default"));
            }
        }
        Map<String, String> component = new TreeMap<>();
        for (Method m : MockConfiguration.class.getDeclaredMethods()) {
            component.put(m.getName().replace('_', '.'), String.valueOf(m.getDefaultValue()));
        }
        assertEquals(component, metatype);
    }
}
