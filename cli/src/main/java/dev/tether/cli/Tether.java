package dev.tether.cli;

import dev.tether.proxy.AlreadyServed;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tether} command. */
@Command(name = "tether",
        mixinStandardHelpOptions = true,
        versionProvider = Tether.Version.class,
        description = "Ties every Docker container to the process that started it.")
public final class Tether {

    /** The subcommands, in the order help lists them. */
    private static final List<Class<?>> SUBCOMMANDS = List.of(Up.class, Run.class, Ps.class, Status.class, Why.class,
            Sweep.class, Audit.class, Setup.class, Doctor.class, ContextCommand.class, Install.class, Uninstall.class,
            CommandLine.HelpCommand.class);

    public static void main(String[] args) {
        System.exit(commandLine(args).execute(args));
    }

    /** The whole command, every subcommand built. */
    static CommandLine commandLine() {
        return commandLine(new String[0]);
    }

    /**
     * The command for {@code args}: when they begin with a subcommand's name, only that subcommand is built. picocli
     * reads each command's options by reflection at every start; building one command instead of twelve is most of
     * {@code tether up}'s parsing cost.
     * Anything else (no arguments, an option, {@code help}, a misspelt name) gets them all, for help and suggestions.
     */
    static CommandLine commandLine(String[] args) {
        CommandLine line = new CommandLine(new Tether());
        String first = args.length > 0 ? args[0] : "";
        List<Class<?>> named = SUBCOMMANDS.stream()
                .filter(c -> c != CommandLine.HelpCommand.class && c.getAnnotation(Command.class).name().equals(first)).toList();
        for (Class<?> subcommand : named.isEmpty() ? SUBCOMMANDS : named) {
            line.addSubcommand(subcommand);
        }
        return line
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
