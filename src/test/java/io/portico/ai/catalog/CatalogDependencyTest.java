package io.portico.ai.catalog;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The catalog stays plain data: it uses the configuration mappers and the JDK, and no gateway or Vert.x code. */
class CatalogDependencyTest {

    @Test
    void catalogDependsOnConfigurationAndJdkOnly() {
        JavaClasses catalog = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.portico.ai.catalog");

        classes().should().onlyDependOnClassesThat().resideInAnyPackage("io.portico.ai.catalog..",
                "io.portico.config..", "java..", "com.fasterxml.jackson..").check(catalog);
    }
}
