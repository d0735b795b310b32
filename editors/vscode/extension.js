// Starts `shardplan lsp` for .plan files; everything else (diagnostics, hover, navigation,
// completion, formatting, quick fixes) is the server's.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("shardplan");
  const [command, ...args] = config.get("server.command", ["shardplan", "lsp"]);
  const server = { command, args, options: { env: process.env } };
  client = new LanguageClient(
    "shardplan",
    "shardplan",
    { run: server, debug: server },
    {
      documentSelector: [{ language: "shardplan" }],
      initializationOptions: { debounceMs: config.get("server.debounceMs", 50) },
      synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.plan") },
    }
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
