package dev.tether.cli;

import java.util.function.Function;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * An option's value read by one of tether's own readers, whose IllegalArgumentException already says what to write
 * instead: picocli shows that message as the option's error.
 */
abstract class Converter<T> implements ITypeConverter<T> {

    private final Function<String, T> read;

    Converter(Function<String, T> read) {
        this.read = read;
    }

    @Override
    public T convert(String text) {
        try {
            return read.apply(text);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
