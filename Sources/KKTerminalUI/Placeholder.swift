public enum KKTerminalUIPlaceholder {}
