import GRDB
public enum PlaceholderP {}
