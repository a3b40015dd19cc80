namespace Silo.TestPlugins.Dependency;

/// <summary>Something for the plugin to call, so that it really needs this assembly.</summary>
public static class Greeting
{
    public static string Text => "hello from the dependency";
}
