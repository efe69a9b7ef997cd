package io.portico;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The layering rules of the architecture, checked on the compiled main classes. */
class ArchitectureTest {

    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.portico");
    }

    @Test
    void dataPlaneUsesNoStoreOrAdminCode() {
        noClasses().that().resideInAnyPackage("io.portico.gateway..", "io.portico.pipeline..")
                .should().dependOnClassesThat().resideInAnyPackage("io.portico.store..", "io.portico.admin..",
                        "io.portico.declarative..", "io.portico.cli..", "java.sql..", "javax.sql..")
                .check(classes);
    }

    @Test
    void policiesUseNoControlPlaneCode() {
        noClasses().that().resideInAnyPackage("io.portico.policy..")
                .should().dependOnClassesThat().resideInAnyPackage("io.portico.store..", "io.portico.admin..",
                        "io.portico.declarative..", "io.portico.cli..", "java.sql..")
                .allowEmptyShould(true)
                .check(classes);
    }

    @Test
    void configurationModelIsPlainData() {
        noClasses().that().resideInAnyPackage("io.portico.config..")
                .should().dependOnClassesThat().resideInAnyPackage("io.vertx..", "io.portico.gateway..",
                        "io.portico.store..", "io.portico.admin..", "java.sql..")
                .check(classes);
    }

    @Test
    void loggingHelpersUseNoOtherPorticoCode() {
        noClasses().that().resideInAPackage("io.portico.logging..")
                .should().dependOnClassesThat(resideInAPackage("io.portico..")
                        .and(not(resideInAPackage("io.portico.logging.."))))
                .check(classes);
    }

    @Test
    void packagesHaveNoCycles() {
        slices().matching("io.portico.(**)").should().beFreeOfCycles().check(classes);
    }
}
