using Tracer.Sinks;

namespace Alloclat.Cli;

/// <summary>
/// The live screen's keys, read from the terminal on a thread of their own: <c>s</c> changes the order of the
/// series, <c>p</c> or space pauses the screen, <c>q</c> ends the run as Ctrl-C does. The thread blocks in the
/// read and dies with the process.
/// </summary>
internal sealed class KeyboardInput
{
    private readonly LiveScreen _screen;
    private readonly Action _quit;

    private KeyboardInput(LiveScreen screen, Action quit)
    {
        _screen = screen;
        _quit = quit;
    }

    /// <summary>Starts reading keys when standard input is a terminal; otherwise there is nothing to read.</summary>
    public static void Start(LiveScreen screen, Action quit)
    {
        if (Console.IsInputRedirected)
            return;
        var input = new KeyboardInput(screen, quit);
        new Thread(input.Run) { Name = "alloclat-keys", IsBackground = true }.Start();
    }

    private void Run()
    {
        try
        {
            while (true)
            {
                var key = Console.ReadKey(intercept: true);
                switch (char.ToLowerInvariant(key.KeyChar))
                {
                    case 'q':
                        _quit();
                        return;
                    case 's':
                        _screen.NextOrder();
                        break;
                    case 'p' or ' ':
                        _screen.TogglePause();
                        break;
                }
            }
        }
        catch (InvalidOperationException)
        {
            // The terminal went away (standard input closed): the run goes on without keys.
        }
        catch (IOException)
        {
        }
    }
}
