// The WebJobs SDK's own queue listener, as the Functions host runs it for queue triggers:
// QueueTrigger functions on the app's two batch queues, with the queue options of the
// app's host.json, polling the storage account of AzureWebJobsStorage (Azurite in the test).
//
// Environment:
//   AzureWebJobsStorage  the storage connection string
//   HOST_JSON            the app's host.json; its extensions.queues section becomes the
//                        listener's options, bound from configuration as the Functions host
//                        binds host.json (so "00:00:03" and "base64" are read as it reads them)
//   BATCH_QUEUE, BATCH_JOBS_QUEUE   the queues to listen on
//   FAIL_RULES           JSON object {marker: tries}: a message whose body contains a marker
//                        fails (throws) while its dequeue count is at most that number
//   RECORDS_FILE         where to append what happens, one JSON line each:
//                        {"event":"started","options":{...}} with the options in force once the
//                        listener runs, then {"event":"invocation",...} per invocation (the body
//                        as the function receives it, its dequeue count, the time in ms since the
//                        epoch, whether it failed), written before the function returns, so
//                        before the listener deletes or releases the message
//
// The SDK's own warnings and errors go to standard error.

using System.Text.Json;
using Microsoft.Azure.WebJobs;
using Microsoft.Azure.WebJobs.Host;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

var queueSettings = QueueSettings.FromHostJson(Settings.Required("HOST_JSON"));

using var host = new HostBuilder()
    .ConfigureAppConfiguration(config =>
    {
        config.AddEnvironmentVariables();
        config.AddInMemoryCollection(queueSettings);
    })
    .ConfigureWebJobs(webJobs => webJobs.AddAzureStorageQueues())
    .ConfigureLogging(logging => logging
        .SetMinimumLevel(LogLevel.Warning)
        .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace))
    .Build();

await host.StartAsync();
var options = host.Services.GetRequiredService<IOptions<QueuesOptions>>().Value;
Output.Write(new
{
    @event = "started",
    options = new
    {
        options.BatchSize,
        options.NewBatchThreshold,
        options.MaxDequeueCount,
        VisibilityTimeoutMs = options.VisibilityTimeout.TotalMilliseconds,
        MaxPollingIntervalMs = options.MaxPollingInterval.TotalMilliseconds,
        MessageEncoding = options.MessageEncoding.ToString().ToLowerInvariant(),
    },
});
await host.WaitForShutdownAsync();

/// <summary>The two queue-triggered functions: each records its invocation and fails where FAIL_RULES says.</summary>
public static class Functions
{
    public static void Chunks([QueueTrigger("%BATCH_QUEUE%")] string message, long dequeueCount, string id) =>
        Invocations.Run(Settings.Required("BATCH_QUEUE"), message, dequeueCount, id);

    public static void Jobs([QueueTrigger("%BATCH_JOBS_QUEUE%")] string message, long dequeueCount, string id) =>
        Invocations.Run(Settings.Required("BATCH_JOBS_QUEUE"), message, dequeueCount, id);
}

public static class Invocations
{
    private static readonly Dictionary<string, long> FailRules =
        JsonSerializer.Deserialize<Dictionary<string, long>>(Environment.GetEnvironmentVariable("FAIL_RULES") ?? "{}") ?? [];

    public static void Run(string queue, string message, long dequeueCount, string id)
    {
        var fails = FailRules.Any(rule => message.Contains(rule.Key, StringComparison.Ordinal) && dequeueCount <= rule.Value);
        Output.Write(new
        {
            @event = "invocation",
            queue,
            id,
            dequeueCount,
            body = message,
            at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            failed = fails,
        });
        if (fails) throw new InvalidOperationException($"fails on purpose (try {dequeueCount})");
    }
}

public static class Output
{
    private static readonly object Gate = new();
    private static readonly string Path = Settings.Required("RECORDS_FILE");
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static void Write(object record)
    {
        var line = JsonSerializer.Serialize(record, Json) + "\n";
        lock (Gate) File.AppendAllText(Path, line);
    }
}

public static class Settings
{
    public static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : throw new InvalidOperationException($"{name} is not set");
}

public static class QueueSettings
{
    /// <summary>host.json's extensions.queues as configuration under the section the queues extension binds its options from.</summary>
    public static Dictionary<string, string?> FromHostJson(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var settings = new Dictionary<string, string?>();
        if (doc.RootElement.TryGetProperty("extensions", out var extensions) && extensions.TryGetProperty("queues", out var queues))
        {
            foreach (var setting in queues.EnumerateObject())
            {
                settings[$"AzureWebJobs:extensions:queues:{setting.Name}"] =
                    setting.Value.ValueKind == JsonValueKind.String ? setting.Value.GetString() : setting.Value.GetRawText();
            }
        }
        return settings;
    }
}
