package dev.tether.cli;

import dev.tether.proxy.AlreadyServed;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tether} command. */
@Command(name = "tether",
        mixinStandardHelpOptions = true,
        versionProvider = Tether.Version.class,
        description = "Ties every Docker container to the process that started it.",
        subcommands = {Up.class, Run.class, Ps.class, Status.class, Why.class, Sweep.class, Audit.class, Setup.class, Doctor.class, ContextCommand.class,
                Install.class, Uninstall.class, CommandLine.HelpCommand.class})
public final class Tether {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new Tether())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler((e, commandLine, parsed) -> {
                    // Refusals and bad options say what to do; a stack trace would bury that.
                    commandLine.getErr().println("tether: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
                    // the launcher's `tether run` tells this one by its code: it then waits for the other tether
                    return e instanceof AlreadyServed ? Up.ALREADY_SERVED : 1;
                });
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Tether.class.getPackage().getImplementationVersion();
            return new String[] {"tether " + (version == null ? "(development build)" : version)};
        }
    }
}
