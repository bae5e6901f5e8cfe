import type * as vscode from 'vscode';

/**
 * A view whose content arrives with a later feature: it stays empty, so VS Code shows
 * the view's welcome text (package.json `viewsWelcome`) with its buttons.
 */
export class PendingView implements vscode.TreeDataProvider<never> {
  getTreeItem(node: never): vscode.TreeItem {
    return node;
  }

  getChildren(): never[] {
    return [];
  }
}
