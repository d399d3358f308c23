// The rgnn extension: starts `rgnn lsp` (the command is the setting rgnn.server.command) for .rgnn documents.
// Bundled with vscode-languageclient into dist/extension.js by scripts/package.mjs.
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

async function activate(context) {
  const command = vscode.workspace.getConfiguration("rgnn").get("server.command", "rgnn");
  const server = { command, args: ["lsp"], transport: TransportKind.stdio, options: { shell: process.platform === "win32" } };
  client = new LanguageClient("rgnn", "rgnn", server, { documentSelector: [{ language: "rgnn" }] });
  context.subscriptions.push(client);
  await client.start();
}

function deactivate() {
  return client?.stop();
}

module.exports = { activate, deactivate };
