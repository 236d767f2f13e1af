package io.bigbuf.mock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.bigbuf.mock.model.FragmentationPattern;
import io.bigbuf.mock.model.IommuModel;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The Metatype XML the build generates from {@link MockConfiguration} describes the same settings
 * with the same defaults as the property type; a console must never show a default the component
 * does not use. The choices it offers for the fragmentation pattern are the patterns there are.
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

    @Test
    void fragmentationPatternOptionsAreThePatterns() throws Exception {
        List<String> options = optionsOf("fragmentation.pattern");
        assertEquals(Arrays.stream(FragmentationPattern.values()).map(FragmentationPattern::toString).toList(), options);
        options.forEach(name -> assertEquals(name, FragmentationPattern.parse(name).toString()));
    }

    @Test
    void iommuModeOptionsAreTheModes() throws Exception {
        List<String> options = optionsOf("iommu.mode");
        assertEquals(Arrays.stream(IommuModel.Mode.values()).map(IommuModel.Mode::toString).toList(), options);
        options.forEach(name -> assertEquals(name, IommuModel.Mode.parse(name).toString()));
    }

    private static List<String> optionsOf(String attribute) throws Exception {
        List<String> options = new ArrayList<>();
        try (InputStream xml = MockAllocator.class.getResourceAsStream("/OSGI-INF/metatype/io.bigbuf.mock.xml")) {
            NodeList ads = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml).getElementsByTagName("AD");
            for (int i = 0; i < ads.getLength(); i++) {
                Element ad = (Element) ads.item(i);
                if (ad.getAttribute("id").equals(attribute)) {
                    NodeList values = ad.getElementsByTagName("Option");
                    for (int j = 0; j < values.getLength(); j++) {
                        options.add(((Element) values.item(j)).getAttribute("value"));
                    }
                }
            }
        }
        return options;
    }
}
