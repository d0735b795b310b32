package dev.shardplan.resolve;

import dev.shardplan.ast.Nodes.SourceFile;

import java.nio.file.Path;
import java.util.List;

/**
 * One loaded file: its display id (project-relative path, or {@code std:name}), its location on
 * disk (null for the embedded standard library), its AST and the modules it imports.
 */
public record Module(String id, Path path, SourceFile ast, List<Module> imports) {}
